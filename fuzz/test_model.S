/* The test models for the fuzz targets, which must not depend on whatever
 * model is embedded as the default: weights/dlic-test.dlicm (plain
 * hyperprior) and weights/dlic-test-cb.dlicm (checkerboard context,
 * SPEC §6.1). */
    .section .rodata
    .balign 16
    .globl dlic_fuzz_model_data
    .hidden dlic_fuzz_model_data
dlic_fuzz_model_data:
    .incbin "weights/dlic-test.dlicm"
    .globl dlic_fuzz_model_end
    .hidden dlic_fuzz_model_end
dlic_fuzz_model_end:
    .byte 0
    .balign 16
    .globl dlic_fuzz_cb_model_data
    .hidden dlic_fuzz_cb_model_data
dlic_fuzz_cb_model_data:
    .incbin "weights/dlic-test-cb.dlicm"
    .globl dlic_fuzz_cb_model_end
    .hidden dlic_fuzz_cb_model_end
dlic_fuzz_cb_model_end:
    .byte 0
    .section .note.GNU-stack,"",%progbits
