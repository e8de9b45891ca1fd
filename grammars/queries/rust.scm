; Chunk query for Rust. Convention: grammars/README.md.
; An impl is named after its type (`impl Point` → Point), a trait impl after the trait too (`impl fmt::Display
; for Point` → `Display for Point`); the methods of either get the type as container.

(function_item name: (identifier) @name) @chunk.function
(function_signature_item name: (identifier) @name) @chunk.function
(struct_item name: (type_identifier) @name) @chunk.struct
(union_item name: (type_identifier) @name) @chunk.struct
(enum_item name: (type_identifier) @name) @chunk.enum
(trait_item name: (type_identifier) @name) @chunk.trait
(type_item name: (type_identifier) @name) @chunk.type
(mod_item name: (identifier) @name) @chunk.module
(macro_definition name: (identifier) @name) @chunk.function

(impl_item
  trait: [
    (type_identifier) @name
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type type: (type_identifier)) @name
    (generic_type type: (scoped_type_identifier)) @name
  ]
  "for" @name
  type: [
    (type_identifier) @name @scope
    (generic_type type: (type_identifier) @name @scope)
    (scoped_type_identifier name: (type_identifier) @name @scope)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name @scope))
    (reference_type type: (type_identifier) @name @scope)
    (reference_type type: [(primitive_type) (array_type) (tuple_type) (dynamic_type) (generic_type) (scoped_type_identifier)]) @name
    (array_type) @name
    (tuple_type) @name
    (pointer_type) @name
    (function_type) @name
    (primitive_type) @name
    (dynamic_type) @name
  ]) @chunk.impl
(impl_item
  !trait
  type: [
    (type_identifier) @name
    (generic_type type: (type_identifier) @name)
    (scoped_type_identifier name: (type_identifier) @name)
    (generic_type type: (scoped_type_identifier name: (type_identifier) @name))
    (reference_type type: (type_identifier) @name)
  ]) @chunk.impl
(impl_item !trait type: (_) @name) @chunk.impl
