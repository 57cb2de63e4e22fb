/** A create whose id is taken is the client's mistake: 409 naming the id, not a 500. */
import { StoreConflictError } from "../../store/types.js";
import { APIError } from "../../wire/errors.js";

export async function created<T>(creating: Promise<T>): Promise<T> {
  try {
    return await creating;
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    const field = `${error.entity}_id`;
    throw new APIError(`A ${error.entity} with ${field} '${error.id}' already exists; pick another ${field}.`, {
      status: 409,
      type: "invalid_request_error",
      param: field,
      code: "already_exists",
    });
  }
}
