import { InputError } from '@backstage/errors';
import type { RequestHandler } from 'express';

type Schema = {
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: unknown;
  readonly items?: Schema;
  readonly oneOf?: unknown;
  readonly anyOf?: unknown;
  readonly allOf?: unknown;
};

type Spec = {
  readonly paths: unknown;
  readonly components?: unknown;
};

/**
 * Names the property a closed request body does not allow, ahead of the OpenAPI validator, whose
 * message for it ("request/body must NOT have additional properties") names only the object
 * that holds it: `The "matchers.model" property is not allowed; matchers takes alertType,
 * severity, slot`. Bodies are walked along the schema's known properties and array items; a
 * `oneOf`/`anyOf` is left to the validator.
 *
 * @internal
 */
export function unknownFieldsNamed(spec: Spec): RequestHandler {
  const schemas =
    (spec.components as { schemas?: Record<string, Schema> } | undefined)
      ?.schemas ?? {};
  const deref = (schema: Schema | undefined): Schema | undefined => {
    let current = schema;
    for (let i = 0; current?.$ref && i < 16; i++) {
      current = schemas[current.$ref.replace('#/components/schemas/', '')];
    }
    return current;
  };
  const operations = Object.entries(
    spec.paths as Record<string, Record<string, any>>,
  ).flatMap(([template, item]) =>
    Object.entries(item).flatMap(([method, operation]) => {
      const schema =
        operation?.requestBody?.content?.['application/json']?.schema;
      if (!schema) return [];
      const pattern = new RegExp(
        `^${template
          .split(/\{[^}]+\}/)
          .map(part => part.replace(/[.*+?^$()|[\]\\]/g, '\\$&'))
          .join('[^/]+')}$`,
      );
      return [{ method: method.toUpperCase(), pattern, schema }];
    }),
  );

  const firstUnknown = (
    node: Schema | undefined,
    value: unknown,
    path: string[],
  ): { path: string[]; allowed: string[] } | undefined => {
    const schema = deref(node);
    if (!schema || schema.oneOf || schema.anyOf || schema.allOf)
      return undefined;
    if (Array.isArray(value)) {
      for (let i = 0; i < Math.min(value.length, 1000); i++) {
        const found = firstUnknown(schema.items, value[i], [
          ...path,
          String(i),
        ]);
        if (found) return found;
      }
      return undefined;
    }
    if (typeof value !== 'object' || value === null || !schema.properties) {
      return undefined;
    }
    const properties = schema.properties;
    for (const key of Object.keys(value)) {
      if (Object.prototype.hasOwnProperty.call(properties, key)) {
        const found = firstUnknown(
          properties[key],
          (value as Record<string, unknown>)[key],
          [...path, key],
        );
        if (found) return found;
      } else if (schema.additionalProperties === false) {
        return { path: [...path, key], allowed: Object.keys(properties) };
      }
    }
    return undefined;
  };

  return (req, _res, next) => {
    const body = req.body;
    if (typeof body !== 'object' || body === null) return next();
    const operation = operations.find(
      op => op.method === req.method && op.pattern.test(req.path),
    );
    if (!operation) return next();
    const found = firstUnknown(operation.schema, body, []);
    if (!found) return next();
    const name = found.path.join('.');
    const parent = found.path.slice(0, -1).join('.');
    return next(
      new InputError(
        `The "${name}" property is not allowed; ${parent || 'the body'} takes ${
          found.allowed.join(', ') || 'no properties'
        }`,
      ),
    );
  };
}
