import Button from '@material-ui/core/Button';
import Tooltip from '@material-ui/core/Tooltip';

/**
 * A button that says why it cannot be used: `denied` when the caller lacks the permission,
 * `disabledReason` when the current state forbids it. `disabled` disables it without a reason.
 */
export function GuardedButton(props: {
  allowed: boolean;
  denied: string;
  disabledReason?: string;
  disabled?: boolean;
  onClick: () => void;
  children: string;
  color?: 'primary' | 'secondary' | 'default';
  variant?: 'contained' | 'outlined';
}) {
  const disabled =
    !props.allowed || Boolean(props.disabled) || Boolean(props.disabledReason);
  const reason = !props.allowed ? props.denied : props.disabledReason;
  const button = (
    <span>
      <Button
        variant={
          props.variant ??
          (props.color === 'primary' ? 'contained' : 'outlined')
        }
        color={props.color ?? 'default'}
        disabled={disabled}
        onClick={props.onClick}
        style={{ marginRight: 8 }}
      >
        {props.children}
      </Button>
    </span>
  );
  return reason ? <Tooltip title={reason}>{button}</Tooltip> : button;
}
