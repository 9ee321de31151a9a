# QEMU facts for mps2-an386, read by the host-side tests (tests/qemu) and the benches.
set(LOCUS_QEMU_MACHINE_mps2-an386 mps2-an386)
set(LOCUS_QEMU_UDS_ADDR_mps2-an386 0x003FF000)   # boards/mps2-an386/memory.ld, region UDS
