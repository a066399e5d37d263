import { SchedulerServiceTaskScheduleDefinitionConfig } from '@backstage/backend-plugin-api';

export interface Config {
  /** Configuration of the Model Ops plugins. */
  modelOps?: {
    /**
     * Threshold rule sets, chosen per model with the `model-ops/rules` annotation. A set named
     * `default` replaces the built-in one (response time > 5 s warning, > 10 s critical; error
     * rate > 5 % / 10 %; CPU > 80 % / 90 %; memory > 85 % / 95 %).
     */
    rules?: {
      [name: string]: Array<{
        /** The alert type the rule raises, e.g. `high_error_rate`. Routes are keyed by it. */
        alert: string;
        /**
         * responseTimeP50, responseTimeP95 (ms), throughput (req/s), errorRate, cpu, memory,
         * disk (%), costPerRequest (USD).
         */
        metric: string;
        /** `>` (default) fires above the levels, `<` below them. */
        operator?: '>' | '<';
        warning: number;
        critical: number;
        /** How long the level must hold before the alert fires, e.g. `2m`. Default 1 minute. */
        for?: string;
      }>;
    };
    alerts?: {
      /**
       * Alert routes, chosen per model with the `model-ops/alert-route` annotation. A route
       * named `default` replaces the built-in one.
       */
      routes?: {
        [name: string]: {
          /**
           * Channels and escalation per alert type. The built-in `default` route: response time
           * to slack and email (escalating at 3 within 5 minutes), error rate to slack and
           * pagerduty (2 within 3 minutes), CPU to slack (5 within 10 minutes), memory to slack
           * and pagerduty (3 within 5 minutes), anything else to email (5 within 10 minutes);
           * escalations to pagerduty and webhook. Channels that are not configured are skipped.
           */
          byType?: {
            [alertType: string]: {
              channels: string[];
              /** Only alerts of these severities or slots; the others go to `fallback`. */
              match?: {
                severity?: Array<'warning' | 'critical'>;
                slot?: string[];
              };
              escalation?: {
                /** How many alerts of the type within the window escalate. */
                threshold: number;
                /** The window, e.g. `180s` or `5m`. */
                window: string;
                /** Default: pagerduty and webhook. */
                channels?: string[];
              };
            };
          };
          /**
           * Channels for alert types the route does not list: a list, or an entry with its own
           * escalation. Default: email, escalating at 5 within 10 minutes.
           */
          fallback?:
            | string[]
            | {
                channels: string[];
                escalation?: {
                  threshold: number;
                  window: string;
                  channels?: string[];
                };
              };
          /** How long a first message waits for more alerts of the model to join it. Default 30s. */
          groupWait?: string;
          /** How long after a message new alerts of the model wait to go out together. Default 5m. */
          groupInterval?: string;
          /** How often an alert that keeps firing is sent again. Default 4h. */
          repeatInterval?: string;
        };
      };
      /**
       * How long after a deployment, rollback or traffic switch of a model an alert that fires
       * names that change (on the alert, in its messages and in its incident). 0 turns it off.
       * Default 30.
       */
      changeWindowMinutes?: number;
      /**
       * Maintenance windows: while one is on, alerts of the models it names are recorded and
       * shown but not notified. Once (`start` and `end`) or every week (`recurring`). Windows made
       * through the API (`POST .../silences` with kind `maintenance`) add to these.
       */
      maintenanceWindows?: Array<{
        /** Unique; the window shows as `maintenance:<name>`. */
        name: string;
        /** Model ids or entity refs it mutes; `*` for every model. */
        models: string[];
        reason?: string;
        /** ISO 8601 times of a one-off window. */
        start?: string;
        end?: string;
        recurring?: {
          /** Weekdays: mon, tue, wed, thu, fri, sat, sun. */
          days: string[];
          /** The start, `HH:mm` in `timezone`. */
          at: string;
          durationMinutes: number;
          /** An IANA zone, e.g. `Europe/Berlin`. Default UTC. */
          timezone?: string;
        };
      }>;
      /** Alerts from an existing Alertmanager, at `POST /api/model-ops/alertmanager/webhook`. */
      alertmanager?: {
        /** The label that names the model id of an alert. Default `model_id`. */
        modelLabel?: string;
      };
      /** How notifications are sent: the outbox's retries and the delivery task. */
      delivery?: {
        /** A notification failing for longer than this since it was written is given up. Default 24h. */
        maxAge?: string;
        /** The first retry's delay; each next one doubles (with jitter). Default 5s. */
        initialBackoff?: string;
        /** The longest delay between two attempts. Default 10m. */
        maxBackoff?: string;
        /** How long a replica's claim on a notification lasts. Default 2m. */
        lease?: string;
        /** Notifications claimed and sent at once per round. Default 50. */
        batchSize?: number;
        /** The delivery task, on every replica. Default every 5 seconds. */
        schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      };
      /**
       * Alert channels by id: what routes name in their `channels` lists. `type` chooses the
       * channel type (built in: `email`, `slack`, `pagerduty`, `webhook`, `notifications`; a
       * module may add more); the other keys are that type's. A bad entry fails start-up with
       * its key in the message.
       */
      channels?: {
        /**
         * One channel. Each type reads its own keys and ignores the others.
         */
        [id: string]: {
          /** `email`, `slack`, `pagerduty`, `webhook`, `notifications`, or a module's type. */
          type: string;
          /**
           * How long one delivery attempt may take before it counts as failed (and is retried), as
           * a duration: `10s`, `500ms`, `PT10S` or `{ seconds: 10 }`. Default 10 seconds. All
           * types.
           */
          timeout?:
            | string
            | {
                milliseconds?: number;
                seconds?: number;
                minutes?: number;
                hours?: number;
              };

          // email: one mail per notification through an SMTP server (nodemailer).
          /** email: the SMTP server's host name. Required. */
          host?: string;
          /** email: the SMTP port. Default 587, or 465 when `secure`. */
          port?: number;
          /**
           * email: TLS from the start (port 465). Default false: STARTTLS when the server offers
           * it.
           */
          secure?: boolean;
          /** email: fail unless the connection is upgraded with STARTTLS. */
          requireTLS?: boolean;
          /** email: never use STARTTLS, even when offered. */
          ignoreTLS?: boolean;
          /** email: TLS options. */
          tls?: {
            /** Whether the server's certificate must be valid. Default true. */
            rejectUnauthorized?: boolean;
          };
          /** email: the SMTP login (AUTH PLAIN or LOGIN, as the server offers). */
          auth?: {
            user: string;
            /** @visibility secret */
            pass: string;
          };
          /** email: the sender, e.g. `Model Ops <model-ops@example.com>`. Required. */
          from?: string;
          /** email: the recipients' addresses. Required. */
          to?: string[];
          /** email: put before each subject (the notification's title), e.g. `[Model Ops]`. */
          subjectPrefix?: string;

          // slack: a Block Kit message per notification to an incoming webhook.
          /**
           * slack: the incoming webhook's URL (`https://hooks.slack.com/services/...`). Required.
           * @visibility secret
           */
          webhookUrl?: string;
          /**
           * slack: the channel to post to, e.g. `#ml-oncall`, where the webhook still allows it.
           */
          channel?: string;
          /** slack: the name to post as, where the webhook still allows it. */
          username?: string;
          /**
           * slack: the emoji to post with, e.g. `:robot_face:`, where the webhook still allows it.
           */
          iconEmoji?: string;

          // pagerduty: Events API v2, one event per alert (dedup_key: the alert's fingerprint).
          /**
           * pagerduty: the integration key of the service's Events API v2 integration. Required.
           * @visibility secret
           */
          routingKey?: string;
          /**
           * pagerduty: the events endpoint. Default `https://events.pagerduty.com/v2/enqueue`.
           * webhook: the URL the Alertmanager-format JSON is POSTed to. Required.
           */
          url?: string;
          /** pagerduty: `payload.source`. Default: the model id. */
          source?: string;
          /** pagerduty: `payload.component`. Default: the alert's slot. */
          component?: string;
          /** pagerduty: `payload.group`. Default: none. */
          group?: string;
          /** pagerduty: `payload.class`. Default: the alert type. */
          class?: string;

          // webhook: Alertmanager's webhook message, version 4.
          /** webhook: headers sent with each request, e.g. `Authorization: Bearer ${TOKEN}`. */
          headers?: {
            /** @visibility secret */
            [name: string]: string;
          };
          /**
           * webhook: the most alerts one message carries, as Alertmanager's `max_alerts`. Default
           * 0: all.
           */
          maxAlerts?: number;

          // notifications: Backstage notifications (needs the notifications backend).
          /**
           * notifications: entity refs to notify, e.g. `group:default/ml-platform`. Default: the
           * model's owner, else the model's entity.
           */
          recipients?: string[];
          /** notifications: the topic. Default `model-ops`. */
          topic?: string;
        };
      };
    };
    capacity?: {
      /**
       * Cost models, chosen per model with the `model-ops/cost` annotation. `default` is $0.10
       * an instance-hour, one instance, unless configured. The prices are in `currency` (the
       * keys end in `Usd` because USD is the default).
       */
      costModels?: {
        [name: string]: {
          /**
           * Price of one instance-hour. Required unless another price (GPU-hour, per 1,000
           * requests or tokens) is given; then default 0.
           */
          instanceHourUsd?: number;
          /** Instances a slot runs. Default 1. */
          instances?: number;
          /** ISO 4217 code the prices are in. Default USD. */
          currency?: string;
          /** Price of one GPU-hour, added to each instance-hour for its GPUs. */
          gpuHourUsd?: number;
          /** GPUs each instance runs. Default 1 when gpuHourUsd is set. */
          gpusPerInstance?: number;
          /** Price of 1,000 requests, on top of the instance-hours. */
          per1kRequestsUsd?: number;
          /**
           * Price of 1,000 tokens. Applied only to models whose metric source measures tokens
           * (none does yet); otherwise the capacity report notes that it is not applied.
           */
          per1kTokensUsd?: number;
        };
      };
      /**
       * Percent of CPU and memory an instance is sized to when the report says how many
       * instances a load needs. Default 70.
       */
      targetUtilization?: number;
      /**
       * The IANA time zone of hours of the day, weekdays and days in capacity reports, e.g.
       * Europe/Berlin. Default UTC.
       */
      timeZone?: string;
      /** Full days of history a projection needs, 3 to 90. Default 3. */
      minProjectionDays?: number;
      /** Days before a resource reaches its limit by which to act. Default 14. */
      actLeadDays?: number;
      /**
       * When every model's 7-day report is summarized for the Model Ops page (its projected
       * monthly cost and top recommendation), once per cluster. Opening a model's Capacity tab
       * on 7 days also stores its summary. Default every 15 minutes, first 90 seconds after
       * start.
       */
      summarySchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
    /** Settings of the built-in `local` runtime (child processes on this host). */
    local?: {
      /**
       * Where the runtime keeps its state, logs and router token. A relative path is resolved
       * against the backend's working directory. Default `.model-ops/local` in the root of the
       * monorepo (the nearest parent folder whose package.json has `workspaces`), else in the
       * working directory.
       */
      stateDir?: string;
      /**
       * The model server each slot runs. Default: the `model-ops-model-server` command of
       * `@model-ops/model-server`, a dependency of this plugin: `node <its bin> --artifact
       * {artifact} --port {port} --host 127.0.0.1 --model-id {modelId}`. The server
       * must print `{"event":"listening","port":N,...}` on stdout and serve `GET /healthz`.
       */
      server?: {
        /** The executable. Default: the Node.js binary running the backend. */
        command?: string;
        /**
         * Its arguments; `{artifact}`, `{port}` (always `0`: the server picks a free port),
         * `{modelId}`, `{version}` and `{slot}` are replaced.
         */
        args?: string[];
        /** Working directory of the server. Default: the monorepo root. */
        cwd?: string;
        /** Environment variables every server gets (besides PATH, HOME, LANG and TZ). */
        env?: { [name: string]: string };
      };
      /** Fixed router ports by model id, e.g. `{ sentiment-classifier: 7100 }`. */
      routerPorts?: { [modelId: string]: number };
      /**
       * Where routers of models without a fixed port get theirs, e.g. `7100-7199` (the default).
       * The port a model gets is remembered in the state folder and kept across restarts.
       */
      routerPortRange?: string;
      /** Default time a slot has to print its listening line and be healthy. Default 30. */
      startupTimeoutSeconds?: number;
      /** Time a process has to exit after SIGTERM before it is killed. Default 10. */
      stopTimeoutSeconds?: number;
      /** Size at which a slot's log is rotated (one old file is kept). Default 1048576. */
      logMaxBytes?: number;
      /**
       * Leave model servers and routers running when the backend stops, for the next start to
       * adopt. Default false: the backend stops every process it started or adopted.
       */
      keepRunningOnShutdown?: boolean;
    };
    /**
     * Settings of the built-in `kubernetes` runtime. Its cluster comes from Backstage's
     * `kubernetes.clusterLocatorMethods` (type `config`, authProvider `serviceAccount`).
     */
    kubernetes?: {
      /** The name of the cluster to deploy to. Default: the first config cluster. */
      cluster?: string;
      /** The namespace of the Deployments, Services and HTTPRoutes. Default `model-ops`. */
      namespace?: string;
      /**
       * The model server image. Required to deploy. It must serve HTTP on port 8080 with
       * `GET /healthz`, and load the artifact at `MODEL_ARTIFACT_URI` (version `MODEL_VERSION`).
       */
      image?: string;
      /** The image pull policy of the model server container. Default: Kubernetes' own. */
      imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
      /**
       * The container arguments; `{artifact}`, `{modelId}`, `{version}` and `{slot}` are
       * replaced. Default `--artifact {artifact} --port 8080 --host 0.0.0.0 --model-id {modelId}`.
       */
      args?: string[];
      /** Pods per slot unless a deployment's config sets `replicas`. Default 1. */
      replicas?: number;
      /**
       * The Gateway the HTTPRoutes of models attach to. Without it they attach to the model's
       * production Service (GAMMA, for service meshes).
       */
      gatewayParentRef?: {
        name: string;
        /** Default: the namespace of the HTTPRoute. */
        namespace?: string;
        sectionName?: string;
      };
      /**
       * Hostnames of the HTTPRoutes, `{modelId}` replaced, e.g. `{modelId}.models.example.com`.
       * The first is the production endpoint.
       */
      hostnames?: string[];
      /** The cluster's DNS domain in Service endpoints. Default `cluster.local`. */
      clusterDomain?: string;
      /** How long a deploy waits for its rollout to be available. Default 300. */
      rolloutTimeoutSeconds?: number;
      /** How long one Kubernetes API request may take. Default 30. */
      requestTimeoutSeconds?: number;
    };
    /** The index of the catalog's models that every task and route reads. */
    models?: {
      /** How often each replica re-reads the catalog's models. Default every 30 seconds. */
      refreshSchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** How old the index may get before a reader refreshes it itself. Default 60. */
      maxAgeSeconds?: number;
    };
    /** Where model artifacts come from. */
    artifacts?: {
      /**
       * What relative `file:` artifact URIs resolve against, relative to the backend's working
       * directory. Default: the monorepo root (the nearest folder whose package.json has
       * `workspaces`).
       */
      fileRoot?: string;
      /**
       * The folders `file:` artifacts may be read from, relative to fileRoot. A path that leaves
       * every root, by `..` or by a symlink (real paths are compared), is refused with a 400
       * naming `artifact.uri`. Default: fileRoot alone; `[]` allows no `file:` artifact at all.
       * `http(s)` artifacts are read through Backstage's URL reader instead: list their hosts
       * at `backend.reading.allow` or configure an integration.
       */
      fileRoots?: string[];
      /**
       * The most bytes an artifact may have, per file and in total; reading stops at the limit.
       * Default 209715200 (200 MiB).
       */
      maxBytes?: number;
      /**
       * A JSON file (relative to fileRoot) listing the artifacts the Deploy dialog offers:
       * `{ "models": { "<model-id>": [{ "version", "uri", "sha256", "summary" }] } }`.
       */
      index?: string;
    };
    /** Who may change deployments, switches and alerts, besides what the permission policy says. */
    permissions?: {
      /**
       * Subjects of the service principals that may do so, alone or acting on a user's behalf,
       * e.g. `plugin:scaffolder` (a backend plugin) or `external:ci-bot` (an external access
       * token). Users always may (the policy decides on which entities); every other service is
       * refused with a 403 and the refusal is audited. Default: none. The demo bootstrap
       * (`modelOps.demo.bootstrap`) is the one built-in exception.
       */
      allowedServicePrincipals?: string[];
    };
    /** The deployment pipeline. */
    pipeline?: {
      /** Budgets every model must meet; a model's own under `models.<model-id>.budgets`. */
      budgets?: PipelineBudgetsConfig;
      models?: {
        [modelId: string]: {
          budgets?: PipelineBudgetsConfig;
        };
      };
      /**
       * A JSON file (relative to artifacts.fileRoot) of production-like inputs sent through
       * the production endpoint to verify a new version: a list of strings, `{ "inputs": [...] }`,
       * or `{ "cases": [{ "input": ... }] }` as in an artifact's tests.json.
       */
      verificationFile?: string;
      /** How long a worker's claim on a run lasts without renewal. Default 30. */
      leaseSeconds?: number;
      /** How often each backend replica looks for runs to execute. Default 2. */
      pollIntervalSeconds?: number;
      /** How many runs one replica executes at once; 0 makes an API-only replica. Default 4. */
      maxConcurrentRuns?: number;
      /**
       * How often each replica brings back the recorded production version when its runtime
       * lost it. Default every 30 seconds.
       */
      reconcileSchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
    /** Blue-green environments and traffic switches. */
    environments?: {
      /** Probe requests that must reach the new color's version after a switch. Default 10. */
      probes?: number;
      /** How long health is watched after a switch before it is kept. Default 10. */
      healthWatchSeconds?: number;
      /** Pause between the watch's requests. Default 50. */
      watchIntervalMs?: number;
      /** How long the old color stays running after a switch, for instant rollback. Default 300. */
      warmSeconds?: number;
      /** How often idle colors past their warm period are stopped. Default every 15 seconds. */
      cooldownSchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /**
       * How long a switch is held without renewing (by the database's clock); a switch whose
       * owner stops renewing is taken over and reverted after it. Default 30.
       */
      leaseSeconds?: number;
      /**
       * How often abandoned switches are recovered and each model's runtime traffic is compared
       * with its recorded active color (once across replicas). Default every 15 seconds.
       */
      reconcileSchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
    /** Canary releases (models with `model-ops/strategy: canary`). */
    canary?: {
      /** Traffic weights of the steps; the last must be 100. Default [10, 50, 100]. */
      steps?: number[];
      /** How long each step's traffic is analysed before the next step. Default 10. */
      stepSeconds?: number;
      /** Pause between the analysis requests of a step. Default 20. */
      analysisIntervalMs?: number;
      /**
       * The canary's p95 may be at most this many times the stable color's (plus 20 ms). Default 2.
       * Compared only once a step has at least 20 answers from each color; the rule set's p95 limit
       * applies to any number.
       */
      maxLatencyRatio?: number;
      /** The canary's error rate may exceed the stable color's by at most this many points. Default 1. */
      maxErrorRateIncreasePct?: number;
    };
    /** The demo: deploy a first version of every demo model at start, and seed its history. */
    demo?: {
      /** Deploy `version` of each model that has none in production and no run yet. */
      bootstrap?: boolean;
      /** Default 1.0.0. */
      version?: string;
      /** How often the bootstrap looks for models to deploy. Default every 15 seconds. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /**
       * Fill the last 30 days of each demo model (sentiment-classifier, fraud-detector,
       * churn-predictor) that has no history with samples of the demo traffic pattern, marked
       * as seeded, so its Capacity tab has usage, a projection and recommendations at once.
       * Default: the same as `bootstrap`.
       */
      history?: boolean;
      /** How often the history task looks for demo models to seed. Default every minute. */
      historySchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
    monitoring?: {
      /** How often metrics are collected (once per tick across replicas). Default every 60 seconds. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** How long per-minute samples are kept. Default 7. */
      sampleRetentionDays?: number;
      /** How long hourly rollups are kept. Default 90. */
      rollupRetentionDays?: number;
      /** How long alerts are kept once resolved. Default 30. */
      alertRetentionDays?: number;
      /**
       * How often the hours not rolled up yet are rolled up (every full hour since the last one,
       * so a downtime is caught up) and old data pruned. Default every 30 minutes.
       */
      retentionSchedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
    /** The built-in metric sources. */
    metrics?: {
      /** `scrape`: reads each live slot's /metrics (Prometheus text format). */
      scrape?: {
        /** Default true. */
        enabled?: boolean;
        /** Default 2000. */
        timeoutMs?: number;
        /** Parallel scrapes. Default 8. */
        concurrency?: number;
        /** CPU % is of this many cores. Default: the host's cores. */
        cpuCores?: number;
        /** Which statuses count as errors: `non-2xx` (default) or `5xx`. */
        errorStatuses?: string;
        /** Memory and disk of the host for servers on `loopback` (default), `always` or `never`. */
        hostMetrics?: string;
        /** The filesystem disk % reports. Default: the local runtime's state folder. */
        diskPath?: string;
        /** Metric names of the model server, when they differ from the demo server's. */
        names?: { [key: string]: string };
      };
      /** `prometheus`: PromQL over Prometheus' HTTP API, one query per metric per tick. */
      prometheus?: {
        /** Prometheus' base URL; setting it turns the source on. */
        baseUrl?: string;
        /**
         * Timeout of one query. Default 20000: at 10,000 models a query takes seconds on a busy
         * host. A query that fails is reported in the tick's log as missing data.
         */
        timeoutMs?: number;
        /**
         * PromQL template per metric; `{selector}`, `{models}`, `{by}`, `{window}`,
         * `{windowSeconds}`, `{cpuCores}` and `{totalMemoryBytes}` are replaced.
         */
        queries?: { [metric: string]: string | false };
        /** Default `model_id`. */
        modelLabel?: string;
        /** Default `slot`. */
        slotLabel?: string;
        errorStatuses?: string;
        cpuCores?: number;
        totalMemoryBytes?: number;
      };
    };
  };
}

/** Budgets a version must meet in the testing stage and in production verification. */
interface PipelineBudgetsConfig {
  performance?: {
    /** Sequential requests measured. Default 50. */
    requests?: number;
    /** The p95 latency budget in milliseconds. Default 100. */
    p95BudgetMs?: number;
  };
  load?: {
    /** Concurrent clients. Default 4. */
    concurrency?: number;
    /** Default 3. */
    durationSeconds?: number;
    /** Default 1. */
    maxErrorRatePct?: number;
    /** Default 20. */
    minThroughputRps?: number;
  };
  verification?: {
    /** Probe requests that must all reach the new version. Default 10. */
    probes?: number;
    /** Default 0. */
    maxErrorRatePct?: number;
  };
}
