import { Type } from 'typebox'

// What checkout-api knows of the catalog: its replica of products.catalog, the prices it charges.
export const CatalogEntry = Type.Object({ productId: Type.String(), name: Type.String(), priceCents: Type.Integer(), currency: Type.String(), active: Type.Boolean(), version: Type.Integer() })

export const CatalogList = Type.Object({ products: Type.Array(CatalogEntry) })
