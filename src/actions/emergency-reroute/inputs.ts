import { z } from 'zod';
import { booleanInput, dnsLabelProblem, durationInput, enumInput, integerInput, optionalString } from '../../core/inputs.js';
import { kubeTargetFields, namespaceProblem } from '../../kube/connection.js';

export const emergencyRerouteSchema = z
  .object({
    mode: enumInput(['activate', 'restore'] as const, 'activate'),
    ...kubeTargetFields(),
    'ingress-manifest': optionalString(),
    'circuit-breaker': booleanInput(true),
    'gateway-deployment': z
      .string()
      .optional()
      .transform((value, ctx) => {
        const text = value?.trim() || 'gateway-bff';
        const problem = dnsLabelProblem(text);
        if (!problem) return text;
        ctx.addIssue({ code: 'custom', message: `is ${problem}` });
        return z.NEVER;
      }),
    'failure-threshold': integerInput(5, 1, 1000),
    force: booleanInput(false),
    timeout: durationInput('5m'),
    'dry-run': booleanInput(false),
  })
  .superRefine((inputs, ctx) => {
    const problem = namespaceProblem(inputs);
    if (problem) ctx.addIssue({ code: 'custom', path: [problem.input], message: problem.message });
  });

export type EmergencyRerouteInputs = z.output<typeof emergencyRerouteSchema>;
