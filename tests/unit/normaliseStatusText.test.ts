import { normaliseStatusText, STATUS_TEXT_MAX_LENGTH } from '../../src/domain/normaliseStatusText';

describe('normaliseStatusText', () => {
  it('trims surrounding white space', () => expect(normaliseStatusText('  at lunch \n')).toBe('at lunch'));
  it('cuts to 120 characters after trimming', () => {
    expect(normaliseStatusText(` ${'x'.repeat(130)} `)).toBe('x'.repeat(STATUS_TEXT_MAX_LENGTH));
  });
  it('keeps text of exactly 120 characters', () => expect(normaliseStatusText('y'.repeat(120))).toHaveLength(120));
  it('leaves an empty text empty', () => expect(normaliseStatusText('   ')).toBe(''));
  it('never cuts an emoji in half', () => {
    const cut = normaliseStatusText(`a${'🏒'.repeat(60)}`);
    expect(cut).toBe(`a${'🏒'.repeat(59)}`);
  });
});
