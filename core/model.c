/* Queries on the model object; see core/model.h. */
#include <string.h>

#include "core/model.h"
#include "dlic/dlic.h"

size_t dlic_model_context_lag(const struct dlic_model *m)
{
    size_t r = 0;
    for (unsigned t = DLIC_C_CTX; t < dlic_model_ntransforms(m); t++)
        for (unsigned i = 0; i < m->t[t].nlayers; i++)
            r += (m->t[t].layer[i].k - 1u) / 2;
    return r;
}

void dlic_model_split_hs(const struct dlic_model *m, dlic_transform *body,
                         dlic_transform *last)
{
    const dlic_transform *hs = &m->t[DLIC_H_S];
    memset(body, 0, sizeof(*body));
    memset(last, 0, sizeof(*last));
    body->nlayers = hs->nlayers - 1;
    memcpy(body->layer, hs->layer, body->nlayers * sizeof(dlic_layer));
    last->nlayers = 1;
    last->layer[0] = hs->layer[hs->nlayers - 1];
}
