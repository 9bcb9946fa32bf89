/** `--wait-lock` and `--steal-lock` as parsed, apart from the lock itself so a launcher can check them without loading it. */
export interface LockFlags {
  wait: boolean;
  steal?: string;
}

/** The flags as parsed, or a usage error's message. */
export function lockFlags(values: { 'wait-lock'?: boolean; 'steal-lock'?: string }): LockFlags | string {
  const steal = values['steal-lock'];
  if (steal !== undefined && steal.trim() === '') return '--steal-lock wants a reason (it is journaled)';
  if (steal !== undefined && values['wait-lock'] === true) return '--wait-lock and --steal-lock contradict each other';
  return steal !== undefined ? { wait: values['wait-lock'] === true, steal } : { wait: values['wait-lock'] === true };
}
