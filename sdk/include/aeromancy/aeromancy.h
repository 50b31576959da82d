/* The aeromancy SDK: include this one header to write a plugin. */
#ifndef AEROMANCY_AEROMANCY_H
#define AEROMANCY_AEROMANCY_H

#include "abi.h"
#include "action.h"
#include "artifact.h"
#include "backend.h"
#include "builder.h"
#include "error.h"
#include "host_api.h"
#include "metric.h"
#include "plugin.h"
#include "status.h"
#include "value.h"

#endif /* AEROMANCY_AEROMANCY_H */
