import type { ActionContext, ActionResult } from '../../core/action.js';
import { StepFailure } from '../../core/errors.js';
import type { VerifyInputs } from './inputs.js';

export async function main(_inputs: VerifyInputs, _context: ActionContext): Promise<ActionResult> {
  throw new StepFailure('verify', 'is not implemented in this version yet (issue #9); its inputs are validated, nothing was changed');
}
