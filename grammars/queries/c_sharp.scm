; Chunk query for C#. Convention: grammars/README.md.

(namespace_declaration name: (_) @name) @chunk.module
; `namespace X;` (C# 10), which this grammar parses as an error: the rest of the file is its body.
((ERROR "namespace" [(identifier) (qualified_name)] @name) @chunk.module . (_)* @end .)
(class_declaration name: (identifier) @name) @chunk.class
(record_declaration name: (identifier) @name) @chunk.class
(struct_declaration name: (identifier) @name) @chunk.struct
(interface_declaration name: (identifier) @name) @chunk.interface
(enum_declaration name: (identifier) @name) @chunk.enum
(delegate_declaration name: (identifier) @name) @chunk.type

(method_declaration name: (identifier) @name) @chunk.method
(constructor_declaration name: (identifier) @name) @chunk.method
(destructor_declaration (identifier) @name) @chunk.method
(operator_declaration) @chunk.method
(local_function_statement name: (identifier) @name) @chunk.function
