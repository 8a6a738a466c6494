import type { ActionContext, ActionResult } from '../../core/action.js';
import { StepFailure } from '../../core/errors.js';
import type { RollbackDatabaseInputs } from './inputs.js';

export async function main(_inputs: RollbackDatabaseInputs, _context: ActionContext): Promise<ActionResult> {
  throw new StepFailure('rollback-database', 'is not implemented in this version yet (issue #6); its inputs are validated, nothing was changed');
}
