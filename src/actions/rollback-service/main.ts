import type { ActionContext, ActionResult } from '../../core/action.js';
import { StepFailure } from '../../core/errors.js';
import type { RollbackServiceInputs } from './inputs.js';

export async function main(_inputs: RollbackServiceInputs, _context: ActionContext): Promise<ActionResult> {
  throw new StepFailure('rollback-service', 'is not implemented in this version yet (issue #5); its inputs are validated, nothing was changed');
}
