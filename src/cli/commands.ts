// Placeholder replaced by the CLI client commands (declare, list, show, ...).
export const clientCommands: Record<string, true> = {};
export function usage(): string {
  return "usage: firebreak <serve|migrate>\n";
}
export async function runClientCommand(_command: string, _args: string[]): Promise<number> {
  return 2;
}
