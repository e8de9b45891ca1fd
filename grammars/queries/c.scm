; Chunk query for C. Convention: grammars/README.md.
; A function's name sits under its declarator, which pointer return types wrap once or twice.

(function_definition declarator: (function_declarator declarator: (identifier) @name)) @chunk.function
(function_definition declarator: (_ declarator: (function_declarator declarator: (identifier) @name))) @chunk.function
(function_definition declarator: (_ declarator: (_ declarator: (function_declarator declarator: (identifier) @name)))) @chunk.function

(struct_specifier name: (type_identifier) @name body: (_)) @chunk.struct
(union_specifier name: (type_identifier) @name body: (_)) @chunk.struct
(enum_specifier name: (type_identifier) @name body: (_)) @chunk.enum
(type_definition type: (struct_specifier body: (_)) declarator: (type_identifier) @name) @chunk.struct
(type_definition type: (union_specifier body: (_)) declarator: (type_identifier) @name) @chunk.struct
(type_definition type: (enum_specifier body: (_)) declarator: (type_identifier) @name) @chunk.enum
(type_definition declarator: (type_identifier) @name) @chunk.type
