// replaced by the amapi-commands branch
export async function applyOperation(op: { name: string; done?: boolean; error?: { code?: number; message?: string; status?: string }; metadata?: unknown; response?: unknown }): Promise<boolean> {
  void op;
  return false;
}
