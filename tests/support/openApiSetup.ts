import { Test } from 'supertest';
import { OpenApiConformance } from './openApiConformance';

/**
 * Runs after the test framework in every test file: each answer a supertest request gets is checked against
 * the OpenAPI document (src/http/openapi/openapi.json) before the test sees it, and a mismatch fails the
 * request with a message saying what differs. So every suite also proves the document describes the code.
 */
const conformance = new OpenApiConformance();

type Assert = (this: Test, resError: (Error & { status?: number }) | null | undefined, res: { status: number; headers: Record<string, string>; text: string } | undefined, fn: (error: Error | null, res: unknown) => void) => void;
const prototype = Test.prototype as unknown as { assert: Assert; method: string; url: string };
const assert = prototype.assert;

prototype.assert = function checkedAgainstOpenApi(this: Test, resError, res, fn) {
  const self = this as unknown as { method: string; url: string };
  // superagent reports a 4xx or 5xx as an error with a status; only a network failure has no answer to check.
  const answered = res !== undefined && res !== null && (!resError || typeof resError.status === 'number');
  if (answered) {
    const problem = conformance.problemWith({ method: self.method, url: self.url, status: res.status, contentType: res.headers['content-type'], text: res.text ?? '' });
    if (problem !== undefined) {
      fn.call(this, new Error(`OpenAPI conformance: ${problem}`), res);
      return;
    }
  }
  assert.call(this, resError, res, fn);
};
