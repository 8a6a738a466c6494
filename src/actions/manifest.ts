import type { ActionDefinition } from '../core/action.js';
import type { InputSpec } from '../core/input-table.js';

/** What action.yml and the CLI's --help are made of: a definition without its code. */
export interface ActionManifest {
  name: string;
  command: string;
  description: string;
  icon: string;
  color: string;
  inputs: Record<string, InputSpec>;
  outputs: Record<string, string>;
  post: boolean;
}

export function manifestOf(definition: ActionDefinition): ActionManifest {
  const inputs = Object.fromEntries(Object.entries(definition.inputs).map(([name, { type: _type, ...spec }]) => [name, spec]));
  const { name, command, description, icon, color, outputs } = definition;
  return { name, command, description, icon, color, inputs, outputs, post: Boolean(definition.post) };
}
