; Chunk query for Scala (2 and 3). Convention: grammars/README.md.

(class_definition name: (identifier) @name) @chunk.class
(object_definition name: (identifier) @name) @chunk.module
(trait_definition name: (identifier) @name) @chunk.trait
(enum_definition name: (identifier) @name) @chunk.enum
(type_definition name: (type_identifier) @name) @chunk.type
(function_definition name: (identifier) @name) @chunk.function
(function_declaration name: (identifier) @name) @chunk.function
(given_definition name: (identifier) @name) @chunk.function
