/**
 * Ready-to-paste Python for a companion service's connection variables (pure:
 * unit-tested in __tests__/connection-snippets.test.ts). The code reads
 * `os.environ`, so it never holds a password itself.
 */

/** The variable as new kernels get it: `NAME`, or `NAME_SUFFIX` for this service. */
export function kernelName(name: string, suffix: string): string {
  return suffix ? `${name}_${suffix}` : name;
}

/**
 * Ready-to-paste Python using the variables new kernels get: a client per kind
 * of service the variables point to, then every variable by name. The code
 * reads `os.environ`, so it never holds a password itself.
 */
export function connectionSnippets(
  connection: Record<string, string>,
  suffix = ''
): { label: string; code: string }[] {
  const out: { label: string; code: string }[] = [];
  const names = Object.keys(connection);
  const env = (name: string) => `os.environ["${kernelName(name, suffix)}"]`;
  for (const name of names) {
    const value = connection[name] ?? '';
    if (/MLFLOW_TRACKING_URI$/.test(name)) {
      out.push({
        label: 'MLflow',
        code: `import os\nimport mlflow\n\nmlflow.set_tracking_uri(${env(name)})\nwith mlflow.start_run():\n    mlflow.log_metric("score", 1.0)`
      });
    } else if (/^postgres(ql)?:\/\//.test(value) || /(DATABASE|POSTGRES\w*)_URL$/.test(name)) {
      out.push({
        label: 'PostgreSQL (psycopg)',
        code: `import os\nimport psycopg\n\nconn = psycopg.connect(${env(name)})\nprint(conn.execute("SELECT version()").fetchone())`
      });
      out.push({
        label: 'PostgreSQL (pandas + SQLAlchemy)',
        code:
          'import os\nimport pandas as pd\nfrom sqlalchemy import create_engine\n\n' +
          `engine = create_engine(${env(name)}.replace("postgresql://", "postgresql+psycopg://", 1))\n` +
          'df = pd.read_sql("SELECT 1 AS one", engine)'
      });
    } else if (/^rediss?:\/\//.test(value) || /REDIS\w*_URL$/.test(name)) {
      out.push({
        label: 'Redis',
        code: `import os\nimport redis\n\nr = redis.Redis.from_url(${env(name)})\nr.ping()`
      });
    }
  }
  if (names.length) {
    out.push({
      label: 'Python (os.environ)',
      code: 'import os\n\n' + names.map(n => `${n.toLowerCase()} = ${env(n)}`).join('\n')
    });
  }
  return out;
}
