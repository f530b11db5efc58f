export * from './types.ts';
export * from './errors.ts';
export { IptablesTransaction, type RenderOptions } from './transaction.ts';
export { ToolIptables, type ToolIptablesOptions } from './iptables.ts';
export { FakeIptables, type FakeIptablesOptions } from './fake.ts';
export { parseIptablesSave } from './save.ts';
export { resolveBackend, binaries, BACKEND_ENV } from './backend.ts';
