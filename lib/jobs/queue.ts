// Placeholder until the pg-boss engine lands (branch fleet-jobs).
export async function sendJob(_kind: string, _data: object): Promise<string | null> {
  return null;
}
