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
          /** Channels and escalation per alert type. */
          byType?: {
            [alertType: string]: {
              channels: string[];
              escalation?: {
                /** How many alerts of the type within the window escalate. */
                threshold: number;
                /** The window, e.g. `180s` or `5m`. */
                window: string;
                channels: string[];
              };
            };
          };
          /** Channels for alert types the route does not list. Default: notifications. */
          fallback?: string[];
        };
      };
    };
    capacity?: {
      /**
       * Cost models, chosen per model with the `model-ops/cost` annotation.
       */
      costModels?: {
        [name: string]: {
          /** Price of one instance-hour in USD. */
          instanceHourUsd: number;
          /** Instances a slot runs. Default 1. */
          instances?: number;
        };
      };
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
      /** The canary's p95 may be at most this many times the stable color's (plus 20 ms). Default 2. */
      maxLatencyRatio?: number;
      /** The canary's error rate may exceed the stable color's by at most this many points. Default 1. */
      maxErrorRateIncreasePct?: number;
    };
    /** The demo: deploy a first version of every demo model at start. */
    demo?: {
      /** Deploy `version` of each model that has none in production and no run yet. */
      bootstrap?: boolean;
      /** Default 1.0.0. */
      version?: string;
      /** How often the bootstrap looks for models to deploy. Default every 15 seconds. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
    };
    monitoring?: {
      /** How often metrics are collected (once per tick across replicas). Default every 60 seconds. */
      schedule?: SchedulerServiceTaskScheduleDefinitionConfig;
      /** How long per-minute samples are kept. Default 7. */
      sampleRetentionDays?: number;
      /** How long hourly rollups are kept. Default 90. */
      rollupRetentionDays?: number;
      /** How often the last hour is rolled up and old data pruned. Default every 30 minutes. */
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
        /** Default 5000. */
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
