// locus/common/common.h: the host utilities, one header per job. Include the one you need;
// this header gathers them for code that uses several.
//   result.h    HStatus / HostResult<T>: the one host error type (Status + message)
//   encoding.h  hex, base64, PEM
//   files.h     bounded reads, 0600 writes that never replace a file silently
//   clock.h     wall and monotonic clocks
//   random.h    the OS CSPRNG
//   log.h       structured JSON-lines logging
//   keys.h      P-256 keys as PEM (separate: it needs mbed TLS)
#pragma once

#include "locus/common/clock.h"
#include "locus/common/encoding.h"
#include "locus/common/files.h"
#include "locus/common/log.h"
#include "locus/common/random.h"
#include "locus/common/result.h"
