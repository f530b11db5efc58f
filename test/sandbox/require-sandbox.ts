/**
 * Imported first by every real-kernel test. Outside the sandbox these tests fail loudly, never skip:
 * a green run must mean the kernel behaviour was really exercised.
 */
if (process.env['IPVS_PROXIER_SANDBOX'] !== '1') {
  throw new Error('real-kernel test run outside the sandbox: run it through scripts/sandbox (npm run test:sandbox)');
}

export { tool, toolQuiet } from '../../sandbox/tools.ts';
