/** A create whose id is taken is the client's mistake: 409 naming the id, not a 500. */
import { StoreConflictError } from "../../store/types.js";
import { APIError } from "../../wire/errors.js";

export async function created<T>(creating: Promise<T>): Promise<T> {
  try {
    return await creating;
  } catch (error) {
    if (!(error instanceof StoreConflictError)) throw error;
    throw alreadyExists(error.entity, error.id);
  }
}

/** The 409 for an id that is taken. */
export function alreadyExists(entity: StoreConflictError["entity"], id: string): APIError {
  // An end user is named by its user_id, as LiteLLM's customer routes name it.
  const field = entity === "customer" ? "user_id" : `${entity}_id`;
  return new APIError(`A ${entity} with ${field} '${id}' already exists; pick another ${field}.`, {
    status: 409,
    type: "invalid_request_error",
    param: field,
    code: "already_exists",
  });
}
