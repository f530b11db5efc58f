/**
 * Imported first by every test of the distribution-kernel tier (scripts/sandbox-vm). Anywhere else
 * these tests fail loudly, never skip: a green run must mean iptables-nft was really exercised in a
 * kernel that has nf_tables NAT. user-mode-linux (scripts/sandbox) is refused too: it sets the same
 * IPVS_PROXIER_SANDBOX=1, but its nf_tables cannot program NAT.
 */
import { existsSync, readFileSync } from 'node:fs';
import { release } from 'node:os';

if (process.env['IPVS_PROXIER_SANDBOX'] !== '1') {
  throw new Error('distribution-kernel test run outside the sandbox: run it through scripts/sandbox-vm (npm run test:vm)');
}
// user-mode-linux's /proc/cpuinfo names itself (arch/um/kernel/um_arch.c); its kernel is not in /boot.
if (/^vendor_id\s*:\s*User Mode Linux$/m.test(readFileSync('/proc/cpuinfo', 'utf8')) || !existsSync(`/boot/vmlinuz-${release()}`)) {
  throw new Error(`distribution-kernel test run in kernel ${release()}, not an installed distribution kernel: run it through scripts/sandbox-vm`);
}
if (process.env['IPVS_PROXIER_IPTABLES_BACKEND'] !== 'nft') {
  throw new Error(`distribution-kernel tests prove the nft backend, but IPVS_PROXIER_IPTABLES_BACKEND is ${process.env['IPVS_PROXIER_IPTABLES_BACKEND'] ?? 'unset'}`);
}

export { tool, toolQuiet } from '../../sandbox/tools.ts';
