export { CompactTime } from './CompactTime';
export { TruncatedText } from './TruncatedText';
export { formatCompactTime, formatFullTime } from './formatCompactTime';
export { noWrap } from './noWrap';
