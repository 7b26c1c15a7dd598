import { Type } from 'typebox'

export const StockCheck = Type.Object({
  consistent: Type.Boolean(),
  mismatches: Type.Array(Type.Object({ productId: Type.String(), stock: Type.Integer(), expectedStock: Type.Integer(), reserved: Type.Integer(), expectedReserved: Type.Integer() }))
})
