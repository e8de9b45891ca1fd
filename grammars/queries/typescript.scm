; Chunk query for TypeScript and TSX. Convention: grammars/README.md.

(function_declaration name: (identifier) @name) @chunk.function
(generator_function_declaration name: (identifier) @name) @chunk.function
(function_signature name: (identifier) @name) @chunk.function

(class_declaration name: (type_identifier) @name) @chunk.class
(abstract_class_declaration name: (type_identifier) @name) @chunk.class
(interface_declaration name: (type_identifier) @name) @chunk.interface
(enum_declaration name: (identifier) @name) @chunk.enum
(type_alias_declaration name: (type_identifier) @name) @chunk.type
(internal_module name: (_) @name) @chunk.module
(module name: (_) @name) @chunk.module

(method_definition name: (_) @name) @chunk.method
(abstract_method_signature name: (_) @name) @chunk.method
(public_field_definition
  name: (_) @name
  value: [(arrow_function) (function_expression) (generator_function)]) @chunk.method
