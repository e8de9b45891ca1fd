; Chunk query for Python. Convention: grammars/README.md.
; Decorators come with the definition: decorated_definition is widened to by the chunker.

(function_definition name: (identifier) @name) @chunk.function
(class_definition name: (identifier) @name) @chunk.class
