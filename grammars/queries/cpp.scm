; Chunk query for C++. Convention: grammars/README.md.
; `template <...>` lines are widened into the chunk by the chunker. Out-of-line definitions keep their
; qualified name (`Registry::total_area`).

; The name: `f`, `Registry::total_area`, `~Shape`, `operator==`, `max<int>` (not a parenthesized declarator).
(function_definition declarator: (function_declarator declarator: [(identifier) (field_identifier) (qualified_identifier) (destructor_name) (operator_name) (template_function) (template_method) (dependent_name)] @name)) @chunk.function
(function_definition declarator: (_ declarator: (function_declarator declarator: [(identifier) (field_identifier) (qualified_identifier) (destructor_name) (operator_name) (template_function) (template_method) (dependent_name)] @name))) @chunk.function
(function_definition declarator: (_ declarator: (_ declarator: (function_declarator declarator: [(identifier) (field_identifier) (qualified_identifier) (destructor_name) (operator_name) (template_function) (template_method) (dependent_name)] @name)))) @chunk.function

; A function returning a function pointer: int (*get_handler(int kind))(int) {...}
(function_definition
  declarator: (function_declarator
    declarator: (parenthesized_declarator (_ declarator: (function_declarator declarator: [(identifier) (field_identifier) (qualified_identifier) (destructor_name) (operator_name) (template_function) (template_method) (dependent_name)] @name))))) @chunk.function
(function_definition
  declarator: (_ declarator: (function_declarator
    declarator: (parenthesized_declarator (_ declarator: (function_declarator declarator: [(identifier) (field_identifier) (qualified_identifier) (destructor_name) (operator_name) (template_function) (template_method) (dependent_name)] @name)))))) @chunk.function

(class_specifier name: (_) @name body: (_)) @chunk.class
(struct_specifier name: (_) @name body: (_)) @chunk.struct
(union_specifier name: (_) @name body: (_)) @chunk.struct
(enum_specifier name: (_) @name body: (_)) @chunk.enum
(type_definition type: (struct_specifier body: (_)) declarator: (type_identifier) @name) @chunk.struct
(type_definition declarator: (type_identifier) @name) @chunk.type
(alias_declaration name: (type_identifier) @name) @chunk.type
(concept_definition name: (identifier) @name) @chunk.type
(namespace_definition name: (_) @name) @chunk.module
