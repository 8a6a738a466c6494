import type { ActionContext, ActionResult } from '../../core/action.js';
import { StepFailure } from '../../core/errors.js';
import type { RollbackFrontendInputs } from './inputs.js';

export async function main(_inputs: RollbackFrontendInputs, _context: ActionContext): Promise<ActionResult> {
  throw new StepFailure('rollback-frontend', 'is not implemented in this version yet (issue #7); its inputs are validated, nothing was changed');
}
