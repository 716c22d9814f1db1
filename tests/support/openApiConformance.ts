import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import openApiDocument from '../../src/http/openapi/openapi.json';

/** An answer as the test saw it. */
export interface ObservedAnswer {
  method: string;
  /** Absolute URL or path, with or without a query. */
  url: string;
  status: number;
  contentType: string | undefined;
  text: string;
}

type Json = Record<string, unknown>;

const DOCUMENT_ID = 'openapi.json';
const pointerPart = (key: string) => key.replace(/~/g, '~0').replace(/\//g, '~1');

/** Where an operation lives in the document, and what its path template matches (as Express does: any case, optional trailing slash). */
interface Operation {
  template: string;
  pattern: RegExp;
  pointer: string;
  methods: Set<string>;
}

/**
 * Checks answers against an OpenAPI 3.1 document: the path template and method must be documented with the
 * answer's status, the media type must be one the document gives, and a JSON body must match its schema
 * (JSON Schema 2020-12, as OpenAPI 3.1 uses, through ajv). A path the document does not have may only be
 * refused (4xx) with an error in its API's shape.
 */
export class OpenApiConformance {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly validators = new Map<string, ValidateFunction>();
  private readonly operations: Operation[];

  constructor(private readonly document: Json = openApiDocument as Json) {
    addFormats(this.ajv);
    this.ajv.addSchema(document, DOCUMENT_ID);
    const paths = document.paths as Record<string, Json>;
    this.operations = Object.entries(paths).map(([template, item]) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\\\{[^}]+\\\}/g, '[^/]+')}/?$`, 'i'),
      pointer: `/paths/${pointerPart(template)}`,
      methods: new Set(Object.keys(item).filter((key) => ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'].includes(key))),
    }));
  }

  /** undefined when the answer conforms, else a message saying what differs. */
  problemWith(answer: ObservedAnswer): string | undefined {
    const path = new URL(answer.url, 'http://service.invalid').pathname;
    const method = answer.method.toLowerCase();
    const where = `${answer.method} ${path} → ${answer.status}`;
    // HEAD is answered as GET without a body; an OPTIONS preflight is CORS's, not the API's.
    if (method === 'options') return undefined;
    const lookup = method === 'head' ? 'get' : method;
    const operation = this.operations.find((candidate) => candidate.pattern.test(path) && candidate.methods.has(lookup));
    if (operation === undefined) return this.undocumentedRouteProblem(answer, path, where);
    const responsePointer = this.responsePointer(`${operation.pointer}/${lookup}`, String(answer.status));
    if (responsePointer === undefined) return `${where}: status ${answer.status} is not documented for ${lookup.toUpperCase()} ${operation.template} in the OpenAPI document`;
    if (method === 'head' || answer.status === 304) return undefined;
    return this.bodyProblem(responsePointer, answer, where);
  }

  private undocumentedRouteProblem(answer: ObservedAnswer, path: string, where: string): string | undefined {
    if (answer.status < 400 || answer.status >= 500) return `${where}: neither the path nor the method is in the OpenAPI document, yet the answer is not a refusal`;
    if (answer.method.toUpperCase() === 'HEAD') return undefined;
    const shape = /^\/v0(?:\/|$)/i.test(path) ? 'PnutError' : 'RocketChatError';
    return this.schemaProblem(`#/components/schemas/${shape}`, answer.text, `${where} (a route the document does not have)`);
  }

  /** The pointer of the documented response for this status, following a `$ref` to components.responses. */
  private responsePointer(operationPointer: string, status: string): string | undefined {
    const operation = this.resolve(operationPointer) as { responses?: Record<string, Json> } | undefined;
    const response = operation?.responses?.[status] ?? operation?.responses?.[`${status[0]}XX`];
    if (response === undefined) return undefined;
    const key = operation?.responses?.[status] === undefined ? `${status[0]}XX` : status;
    const ref = response.$ref;
    return typeof ref === 'string' ? ref.slice(1) : `${operationPointer}/responses/${key}`;
  }

  private bodyProblem(responsePointer: string, answer: ObservedAnswer, where: string): string | undefined {
    const content = (this.resolve(responsePointer) as { content?: Record<string, unknown> }).content;
    if (content === undefined) return answer.text === '' ? undefined : `${where}: the document gives this answer no body, yet it has one`;
    const mediaType = (answer.contentType ?? '').split(';')[0].trim().toLowerCase();
    if (!(mediaType in content)) return `${where}: Content-Type ${answer.contentType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`;
    if (mediaType !== 'application/json') return undefined;
    return this.schemaProblem(`#${responsePointer}/content/${pointerPart(mediaType)}/schema`, answer.text, where);
  }

  private schemaProblem(schemaRef: string, text: string, where: string): string | undefined {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `${where}: the body is not JSON: ${text.slice(0, 200)}`;
    }
    let validate = this.validators.get(schemaRef);
    if (validate === undefined) {
      validate = this.ajv.compile({ $ref: `${DOCUMENT_ID}${schemaRef}` });
      this.validators.set(schemaRef, validate);
    }
    if (validate(body)) return undefined;
    const errors = (validate.errors ?? []).map((error) => `${error.instancePath || '(body)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`).join('; ');
    return `${where}: the body does not match the OpenAPI document (${schemaRef}): ${errors}\nbody: ${text.slice(0, 400)}`;
  }

  private resolve(pointer: string): unknown {
    return pointer.split('/').slice(1).map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (node as Json | undefined)?.[key], this.document);
  }
}
