# QEMU facts for ast1030-evb, read by the host-side tests (tests/qemu) and the benches.
set(LOCUS_QEMU_MACHINE_ast1030-evb ast1030-evb)
set(LOCUS_QEMU_UDS_ADDR_ast1030-evb 0x0007F000)  # boards/ast1030-evb/memory.ld, region UDS
