; Chunk query for JavaScript (and JSX). Convention: grammars/README.md.

(function_declaration name: (identifier) @name) @chunk.function
(generator_function_declaration name: (identifier) @name) @chunk.function

(class_declaration name: (identifier) @name) @chunk.class

(method_definition name: (_) @name) @chunk.method
(field_definition
  property: (_) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @chunk.method
