/* The default model file, embedded byte for byte (see Makefile). */
    .section .rodata
    .balign 16
    .globl dlic_default_model_data
    .hidden dlic_default_model_data
dlic_default_model_data:
    .incbin DLIC_MODEL_FILE
    .globl dlic_default_model_end
    .hidden dlic_default_model_end
dlic_default_model_end:
    .byte 0
    .section .note.GNU-stack,"",%progbits
