import { Content, Header, Page } from '@backstage/core-components';
import Grid from '@material-ui/core/Grid';
import { ModelsTable } from './ModelsTable';
import { OpenAlertsTable, OpenIncidentsTable } from './OpenAlertsTables';

/**
 * The portal-wide Model Ops page: every model and how it is doing, the alerts firing across them
 * and their incidents, each linking to its model's Alerts tab.
 */
export function ModelOpsPage(props: { noHeader?: boolean }) {
  const content = (
    <Content>
      <Grid container spacing={3}>
        <Grid item xs={12}>
          <ModelsTable />
        </Grid>
        <Grid item xs={12} component="section" aria-label="Open alerts">
          <OpenAlertsTable />
        </Grid>
        <Grid item xs={12} component="section" aria-label="Incidents">
          <OpenIncidentsTable />
        </Grid>
      </Grid>
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
