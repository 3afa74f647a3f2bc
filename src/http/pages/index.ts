import { Router } from 'express';
import type { Container } from '../../container';
import type { RateLimits } from '../middleware/rate-limit';

/** Server-rendered pages (EJS). Work without JavaScript; public/js only enhances. */
export function pageRouter(_c: Container, _limits: RateLimits): Router {
  return Router();
}
