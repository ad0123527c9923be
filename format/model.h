/* Model file (SPEC §8): parsing and checking into the model object of
 * core/model.h. */
#ifndef DLIC_FORMAT_MODEL_H
#define DLIC_FORMAT_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "core/model.h"

/* Parse and check (SPEC §8.6). data must stay valid for the model's life
 * when copy == 0. Returns a dlic_error. */
int dlic_model_parse(struct dlic_model *m, const uint8_t *data, size_t size,
                     int copy);
void dlic_model_release(struct dlic_model *m);

#endif
