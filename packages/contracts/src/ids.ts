// The shape of the ids pixmill hands out (uuid, any version): a path id of another shape names nothing, so it is
// answered 404 before any query.
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isUuid = (id: string): boolean => UUID_PATTERN.test(id);
