/** Runbooks the UI tests walk (parsed by the real parser from memory). */

export const DEPLOY_FILE = '/rb/deploy.md';
export const RECOVERY_FILE = '/rb/recovery.md';

export const DEPLOY = `---
title: Deploy the app
recovery: recovery.md#restart-the-app
---
# Deploy the app

The app's redeploy. See the [observability notes](observability.md) afterwards.

## Pull

Pull the latest code.

\`\`\`bash {name=pull}
git pull
\`\`\`

## Health

The app must answer on its health route.

\`\`\`check {name=healthz}
http: http://127.0.0.1:8081/healthz
retries: 3
backoff: 1s
\`\`\`

## Tell

- [ ] Tell the team the deploy is done.
`;

export const RECOVERY = `# Recovery

## Restart the app

Restart it; stepgate then runs the blocked check again.

\`\`\`bash {name=fix}
./restart.sh
\`\`\`
`;

export const OBSERVABILITY = `# Observability

## Dashboards

Open the dashboards.

\`\`\`bash {name=dash}
echo dashboards
\`\`\`
`;

export const HEALTH_URL = 'http://127.0.0.1:8081/healthz';

export const FILES = { [DEPLOY_FILE]: DEPLOY, [RECOVERY_FILE]: RECOVERY, '/rb/observability.md': OBSERVABILITY };

/** Vars (one secret), a confirm step, an optional step, an interactive step. */
export const OPS = `---
title: Ops tasks
vars:
  REGION: { prompt: AWS region, default: us-east-2 }
  API_TOKEN: { prompt: API token, secret: true }
---
# Ops tasks

## Tasks

First.

\`\`\`bash {name=first}
echo first
\`\`\`

Dangerous.

\`\`\`bash {name=drop confirm}
echo dropping
\`\`\`

Nice to have.

\`\`\`bash {name=extra optional}
echo extra
\`\`\`

Asks questions.

\`\`\`bash {name=ask interactive}
read -p "continue? " answer
\`\`\`
`;
