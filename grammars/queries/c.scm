; Chunk query for C. Convention: grammars/README.md.
; A function's name sits under its declarator, which pointer return types wrap once or twice.

(function_definition declarator: (function_declarator declarator: (identifier) @name)) @chunk.function
(function_definition declarator: (_ declarator: (function_declarator declarator: (identifier) @name))) @chunk.function
(function_definition declarator: (_ declarator: (_ declarator: (function_declarator declarator: (identifier) @name)))) @chunk.function

; A function returning a function pointer: int (*get_handler(int kind))(int) {...}, char *(*f(void))(int) {...}
(function_definition
  declarator: (function_declarator
    declarator: (parenthesized_declarator (_ declarator: (function_declarator declarator: (identifier) @name))))) @chunk.function
(function_definition
  declarator: (_ declarator: (function_declarator
    declarator: (parenthesized_declarator (_ declarator: (function_declarator declarator: (identifier) @name)))))) @chunk.function

; A K&R definition returning a pointer (`char *\nf(a, b)\n int a; char *b;\n{...}`): this grammar reads its
; header as a declaration and the body as a separate block; the definition runs to the end of that block.
((declaration declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name))) @chunk.function
  .
  (declaration)*
  .
  (compound_statement) @end)
((declaration declarator: (pointer_declarator declarator: (pointer_declarator declarator: (function_declarator declarator: (identifier) @name)))) @chunk.function
  .
  (declaration)*
  .
  (compound_statement) @end)

; #define MAX(a, b) ...: a function-like macro is used as a function
(preproc_function_def name: (identifier) @name) @label.function

(struct_specifier name: (type_identifier) @name body: (_)) @chunk.struct
(union_specifier name: (type_identifier) @name body: (_)) @chunk.struct
(enum_specifier name: (type_identifier) @name body: (_)) @chunk.enum
(type_definition type: (struct_specifier body: (_)) declarator: (type_identifier) @name) @chunk.struct
(type_definition type: (union_specifier body: (_)) declarator: (type_identifier) @name) @chunk.struct
(type_definition type: (enum_specifier body: (_)) declarator: (type_identifier) @name) @chunk.enum
(type_definition declarator: (type_identifier) @name) @chunk.type
; typedef struct node *node_ptr; typedef char buf[32]; typedef int (*cmp_fn)(const void *, const void *);
(type_definition declarator: (_ declarator: (type_identifier) @name)) @label.type
(type_definition declarator: (function_declarator declarator: (parenthesized_declarator (_ declarator: (type_identifier) @name)))) @label.type
