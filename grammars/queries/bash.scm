; Chunk query for Bash. Convention: grammars/README.md.

(function_definition name: (word) @name) @chunk.function
