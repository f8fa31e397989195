import { applyDecorators, BadRequestException, type PipeTransform } from '@nestjs/common';
import { ApiBody, ApiQuery } from '@nestjs/swagger';
import { z, type ZodType } from 'zod';

/** The first problem as one line: "set.vset: Invalid input: expected number, received string". */
export function describeZodError(err: z.ZodError): string {
  const issue = err.issues[0];
  const path = issue.path.map(String).join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}

/**
 * Validates a body or query with a zod schema: 400 `{statusCode, error: 'Bad Request',
 * message: '<path>: <reason>'}` on the first problem; the handler gets the parsed value.
 */
export class ZodPipe<T> implements PipeTransform<unknown, T> {
  constructor(private readonly schema: ZodType<T>) {}

  transform(value: unknown): T {
    const r = this.schema.safeParse(value ?? {});
    if (!r.success) throw new BadRequestException(describeZodError(r.error));
    return r.data;
  }
}

/** OpenAPI schema of a zod schema (one source of truth for validation and documentation). */
export function openApiSchema(schema: ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

/** @ApiBody from a zod schema. */
export const ZodBody = (schema: ZodType, description?: string) =>
  ApiBody({ schema: openApiSchema(schema), description });

/** @ApiQuery for each property of a zod object schema. */
export function ZodQuery(schema: z.ZodObject): MethodDecorator {
  const json = openApiSchema(schema) as { properties?: Record<string, object>; required?: string[] };
  return applyDecorators(
    ...Object.entries(json.properties ?? {}).map(([name, s]) =>
      ApiQuery({ name, required: json.required?.includes(name) ?? false, schema: s }),
    ),
  );
}
