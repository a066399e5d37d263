import { Content, Header, Page } from '@backstage/core-components';
import { ModelsTable } from './ModelsTable';

/** The portal-wide Model Ops page: every model and how it is doing. */
export function ModelOpsPage(props: { noHeader?: boolean }) {
  const content = (
    <Content>
      <ModelsTable />
    </Content>
  );
  if (props.noHeader) {
    return content;
  }
  return (
    <Page themeId="tool">
      <Header
        title="Model Ops"
        subtitle="Deploy, watch and size the AI models in the catalog"
      />
      {content}
    </Page>
  );
}
