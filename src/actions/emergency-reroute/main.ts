import type { ActionContext, ActionResult } from '../../core/action.js';
import { StepFailure } from '../../core/errors.js';
import type { EmergencyRerouteInputs } from './inputs.js';

export async function main(_inputs: EmergencyRerouteInputs, _context: ActionContext): Promise<ActionResult> {
  throw new StepFailure('emergency-reroute', 'is not implemented in this version yet (issue #8); its inputs are validated, nothing was changed');
}
