/* bridge.h: the C side of the Go package: the audit trampoline. */
#ifndef IMDS_GO_BRIDGE_H
#define IMDS_GO_BRIDGE_H

#include <stdint.h>

#include "imds.h"

/* Routes the audit events of clients built from `config` to the Go sink
 * behind `handle` (a runtime/cgo.Handle). */
imds_result imds_go_set_audit(imds_config *config, uintptr_t handle);

#endif
