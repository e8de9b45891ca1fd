; Chunk query for Go. Convention: grammars/README.md.
; Methods are not nested in their type, so the receiver type is captured as @container.

(function_declaration name: (identifier) @name) @chunk.function

(method_declaration
  receiver: (parameter_list
    (parameter_declaration
      type: [
        (type_identifier) @container
        (pointer_type (type_identifier) @container)
        (generic_type type: (type_identifier) @container)
        (pointer_type (generic_type type: (type_identifier) @container))
      ]))
  name: (field_identifier) @name) @chunk.method

(type_spec name: (type_identifier) @name type: (struct_type)) @chunk.struct
(type_spec name: (type_identifier) @name type: (interface_type)) @chunk.interface
(type_spec
  name: (type_identifier) @name
  type: [
    (type_identifier) (qualified_type) (function_type) (map_type) (slice_type) (array_type)
    (channel_type) (pointer_type) (generic_type)
  ]) @chunk.type
