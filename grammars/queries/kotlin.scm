; Chunk query for Kotlin. Convention: grammars/README.md.
; The grammar has no field names: a class_declaration is an interface or enum by its keyword or body.

(class_declaration "interface" (type_identifier) @name) @chunk.interface
(class_declaration (type_identifier) @name (enum_class_body)) @chunk.enum
(class_declaration (type_identifier) @name) @chunk.class
(object_declaration (type_identifier) @name) @chunk.class
(companion_object "companion" @name) @chunk.class
(function_declaration (simple_identifier) @name) @chunk.function
(secondary_constructor) @chunk.method
(type_alias (type_identifier) @name) @chunk.type
