; Chunk patterns JavaScript and TypeScript share (their grammars name these nodes alike); appended to
; javascript.scm and typescript.scm by the language table. Convention: grammars/README.md.

; const handler = async (req) => {...}; const f = function () {...}
(variable_declarator
  name: (identifier) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @chunk.function

; exports.x = function () {}; res.send = function send(body) {}; module.exports = function app() {}
; Arrows count here only with a block body: `x.y = () => z` and `{ a: () => a }` (bundler export maps,
; getters) are expressions, not units of code.
(expression_statement
  (assignment_expression
    left: [(member_expression) (identifier)] @name
    right: [(function_expression) (generator_function) (arrow_function body: (statement_block))])) @chunk.function

; res.contentType = res.type = function contentType(type) {...}: named after the first target
(expression_statement
  (assignment_expression
    left: [(member_expression) (identifier)] @name
    right: (assignment_expression
      right: [(function_expression) (generator_function) (arrow_function body: (statement_block))]))) @chunk.function

; const handlers = { onKey(e) {...}, send: function () {...} }: an object of functions is their container, as a
; namespace is, and a chunk of the whole literal is named after it.
(variable_declarator
  name: (identifier) @name
  value: (object [
    (method_definition)
    (pair value: [(function_expression) (generator_function) (arrow_function body: (statement_block))])
  ])) @chunk.module

; { send: function (body) {...}, parse: (text) => {...} } in object literals
(pair
  key: (_) @name
  value: [(function_expression) (generator_function) (arrow_function body: (statement_block))]) @chunk.function

; Calls taking a name and a callback: describe('res', function () {...}), it('sends', async () => {...}),
; app.get('/users/:id', (req, res) => {...}). Named after the string.
(expression_statement
  (call_expression
    arguments: (arguments
      . (string (string_fragment) @name)
      [(function_expression) (arrow_function body: (statement_block))]))) @chunk.function

; ... or a string right before the callback: defineGetter(req, 'protocol', function protocol() {...})
(expression_statement
  (call_expression
    arguments: (arguments
      (string (string_fragment) @name)
      .
      [(function_expression) (arrow_function body: (statement_block))]))) @chunk.function

; export default function () {...}, export default (req) => {...}, export default class {...}: no name of their
; own; named `default`, as their importers see them.
(export_statement
  "default" @name
  value: [(function_expression) (generator_function) (arrow_function body: (statement_block))]) @chunk.function
(export_statement "default" @name value: (class)) @chunk.class
